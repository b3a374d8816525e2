/**
 * EventBridge: an execution of the run state machine FAILED, TIMED_OUT or was ABORTED. Its run's
 * turn is released (conditional on holding it) and one alert goes out unless the run's failure was
 * alerted already. (Being built.)
 */
export const handler = async (event: { detail?: { name?: string; status?: string } }): Promise<void> => {
  throw new Error(`run-ended for ${event.detail?.name ?? '?'} is not wired yet`);
};
