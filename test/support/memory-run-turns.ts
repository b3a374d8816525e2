/**
 * RunTurnStore in memory, behaving as the S3 one does: the line lists sorted by key, take() is a
 * create-once, start requests are kept in order (what S3 would hand to the planner).
 */
import type { RunTurn, RunTurnStore, WaitingRun } from '../../lambdas/core/ports';

export class MemoryRunTurnStore implements RunTurnStore {
  readonly line = new Map<string, WaitingRun>();
  turn?: RunTurn;
  /** Runs with a pending marker (applying). */
  readonly pendingRuns = new Set<string>();
  /** Keys of every start request, in order. */
  readonly started: string[] = [];

  async enter(key: string, entry: WaitingRun): Promise<void> {
    this.line.set(key, structuredClone(entry));
  }

  async waiting(): Promise<Array<{ key: string; entry: WaitingRun }>> {
    return [...this.line.keys()].sort().map((key) => ({ key, entry: structuredClone(this.line.get(key)!) }));
  }

  async entry(key: string): Promise<WaitingRun | undefined> {
    return this.line.get(key);
  }

  async update(key: string, entry: WaitingRun): Promise<void> {
    this.line.set(key, structuredClone(entry));
  }

  async leave(key: string): Promise<void> {
    this.line.delete(key);
  }

  async holder(): Promise<RunTurn | undefined> {
    return this.turn && { ...this.turn };
  }

  async take(turn: RunTurn): Promise<boolean> {
    if (this.turn) return false;
    this.turn = { ...turn };
    return true;
  }

  async release(): Promise<void> {
    this.turn = undefined;
  }

  async pending(runId: string): Promise<boolean> {
    return this.pendingRuns.has(runId);
  }

  /** Claims by run id, as the planner leaves them. */
  readonly claims = new Map<string, { state: string; at: string }>();

  async claim(runId: string): Promise<{ state: string; at: string } | undefined> {
    return this.claims.get(runId);
  }

  async start(key: string): Promise<void> {
    this.started.push(key);
  }
}
