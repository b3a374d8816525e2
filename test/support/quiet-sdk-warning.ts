/**
 * Test setup: silences the AWS SDK's NodeVersionSupportWarning ("please upgrade to node >= 22"),
 * which every test worker importing an SDK client would otherwise print once. Node 20 is supported
 * here (see docs/getting-started-notes.md); the deployed Lambdas run Node 22 and never see it.
 *
 * Uses the SDK's own off switch, which covers exactly that warning: other process warnings
 * (deprecations, experimental features) still print. `??=` leaves a deliberate setting alone.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
