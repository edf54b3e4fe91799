import { SqlmeshPipesError } from '../errors.js';

/**
 * An async queue with one consumer: producers push, the consumer iterates.
 * Backpressure: once the consumer iterates, `full` turns true above `highWaterMark` so
 * producers can pause their streams; `onDrain` callbacks run when it falls below half.
 * Before anyone iterates (or after the consumer stops) nothing is paused, so an unread queue
 * can never stall the child process.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #head = 0;
  #waiter: ((result: IteratorResult<T>) => void) | null = null;
  #ended = false;
  #iterating = false;
  #discarding = false;
  #drainCallbacks: Array<() => void> = [];

  constructor(readonly highWaterMark = 1024) {}

  /** Whether producers should pause now. */
  get full(): boolean {
    return this.#iterating && !this.#discarding && this.#items.length - this.#head >= this.highWaterMark;
  }

  /** Run `callback` once the queue has room again. */
  onDrain(callback: () => void): void {
    this.#drainCallbacks.push(callback);
  }

  push(item: T): void {
    if (this.#ended || this.#discarding) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter({ value: item, done: false });
      return;
    }
    this.#items.push(item);
  }

  /** No more items; the consumer finishes after the buffered ones. */
  end(): void {
    this.#ended = true;
    if (this.#waiter && this.#head >= this.#items.length) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter({ value: undefined, done: true });
    }
    this.#drain();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new SqlmeshPipesError('the events of a SQLMesh run can be iterated only once');
    this.#iterating = true;
    return {
      next: () => {
        if (this.#head < this.#items.length) {
          const value = this.#items[this.#head] as T;
          this.#head++;
          this.#compact();
          return Promise.resolve({ value, done: false });
        }
        if (this.#ended || this.#discarding) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#waiter = resolve;
        });
      },
      return: () => {
        // The consumer stopped early: drop what comes next and never pause the producers.
        this.#discarding = true;
        this.#items.length = 0;
        this.#head = 0;
        this.#drain();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #compact(): void {
    const size = this.#items.length - this.#head;
    if (this.#head > 4096 && this.#head > size) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    if (size <= this.highWaterMark / 2) this.#drain();
  }

  #drain(): void {
    if (this.#drainCallbacks.length === 0) return;
    const callbacks = this.#drainCallbacks;
    this.#drainCallbacks = [];
    for (const callback of callbacks) callback();
  }
}
