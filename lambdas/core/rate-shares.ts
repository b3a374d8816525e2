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
 * turn + preview + aux = the budget. Each is a fixed fraction of it, so every share stays above
 * zero however small the budget (a floor per share would make a budget under 1.5 req/s leave the
 * turn nothing).
 */
import type { CoupaConfig, SyncConfig } from './config';

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
  const preview = budget * PREVIEW_SHARE;
  const aux = budget * AUX_SHARE;
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

/**
 * The share of one api-consumer for its batch: `consumer` when every change of the batch belongs to
 * the run holding the apply lane's turn, else `strayConsumer` (a batch mixing in another run's
 * changes, or the holder unknown, takes the small share: never more than the budget allows).
 */
export function consumerShare(batchRunIds: Iterable<string>, turnHolder: string | undefined): 'consumer' | 'strayConsumer' {
  const runs = new Set(batchRunIds);
  return turnHolder !== undefined && runs.size > 0 && [...runs].every((r) => r === turnHolder) ? 'consumer' : 'strayConsumer';
}

/** The Coupa client config of a process at `rate` requests per second (never above coupa.ratePerSecond). */
export function coupaConfigAtRate(coupa: CoupaConfig, rate: number): CoupaConfig {
  const ratePerSecond = Math.min(coupa.ratePerSecond, rate);
  return { ...coupa, ratePerSecond, burst: Math.max(1, Math.min(coupa.burst, Math.floor(ratePerSecond))) };
}
