/**
 * aws-local-stepfunctions 3 targets Node 22 (its engines field) and calls Promise.withResolvers
 * (Node ≥ 22) for every Task state; the project runs on Node 20 (package.json engines). This adds
 * the standard method where it is missing, with the spec's behaviour, so the interpreter runs here.
 */
type WithResolvers = <T>() => { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };

const PromiseWith = Promise as unknown as { withResolvers?: WithResolvers };
if (typeof PromiseWith.withResolvers !== 'function') {
  PromiseWith.withResolvers = <T>() => {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
