/**
 * One Coupa rate budget (coupa.instanceRatePerSecond) for everything the stack runs at once. Shares
 * are fixed, not negotiated at run time, so the sum is bounded by construction:
 *
 * - `turn`: the run holding the apply lane's turn. Its steps call Coupa one after another — reading
 *   and planning (ReadCoupa, Plan, Recheck, all in one execution), then its consumers applying the
 *   queued changes (`api.maxConcurrency` of them, each `turn / maxConcurrency`), then its report —
 *   and the next run takes the turn only when every change is settled, so these never overlap.
 * - `preview`: the one plan-only run holding the preview lane's turn (plan/ files take turns among
 *   themselves, never behind an applying run).
 * - `aux`: what runs beside them: the CSV results poller, and consumers applying changes of a run
 *   that does not hold the turn (redriven from a dead-letter queue, or left by a failed run).
 *
 * turn + preview + aux = the budget. Each is at least 1 request per second.
 */
import type { SyncConfig } from './config';

export interface RateShares {
  /** Requests per second of the turn-holding run's planner steps (one at a time). */
  turn: number;
  /** Of one api-consumer applying a change of the turn-holding run. */
  consumer: number;
  /** Of the one plan-only run reading Coupa. */
  preview: number;
  /** Of one api-consumer applying a change of a run that does not hold the turn. */
  strayConsumer: number;
  /** Of the CSV results poller. */
  poller: number;
  /** The budget they share. */
  budget: number;
}

/** The preview lane's share of the budget (a plan-only run reads at about 3 requests/s of 20). */
export const PREVIEW_SHARE = 0.15;
/** The share of what runs beside the turn (results poller, stray consumers). */
export const AUX_SHARE = 0.05;

export function rateShares(config: Pick<SyncConfig, 'coupa' | 'api'>): RateShares {
  const budget = config.coupa.instanceRatePerSecond;
  const preview = Math.max(0.5, budget * PREVIEW_SHARE);
  const aux = Math.max(0.5, budget * AUX_SHARE);
  const turn = budget - preview - aux;
  const consumers = config.api.maxConcurrency;
  return {
    budget,
    turn,
    consumer: turn / consumers,
    preview,
    // The poller and every consumer at once share aux.
    strayConsumer: aux / (consumers + 1),
    poller: aux / (consumers + 1),
  };
}

/** The most the stack can send at once: what a test checks against the budget. */
export function worstCaseRate(shares: RateShares, consumers: number): number {
  const turnLane = Math.max(shares.turn, shares.consumer * consumers);
  return turnLane + shares.preview + shares.strayConsumer * consumers + shares.poller;
}
