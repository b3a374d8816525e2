/**
 * Element vocabulary shared by the emulator's modules. Kept here (not imported from lambdas/core)
 * so the emulator stays an independent stand-in for Coupa rather than a mirror of the client.
 */

/** Writable licence booleans of the Coupa Users API (R39 Swagger, hyphenated as responses show). */
export const LICENCE_BOOLEANS = [
  'purchasing-user', 'expense-user', 'sourcing-user', 'inventory-user', 'contracts-user', 'analytics-user',
  'aic-user', 'spend-guard-user', 'ccw-user', 'clm-advanced-user', 'supply-chain-user', 'risk-assess-user',
  'travel-user', 'treasury-user', 'invoicing-user',
] as const;
