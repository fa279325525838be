/**
 * The head's queue of task ids waiting to run, first in first out, with O(1) `push` and `shift`:
 * an array and the index of its head, compacted once the consumed part outgrows the rest.
 * (`Array.prototype.shift` moves every element of a large array: draining a million queued tasks
 * that way took hours.)
 */
export class TaskQueue {
  private items: string[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** The first id, or undefined when empty. */
  peek(): string | undefined {
    return this.items[this.head];
  }

  push(id: string): void {
    this.items.push(id);
  }

  /** Removes and returns the first id (undefined when empty). */
  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const id = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return id;
  }

  /** Removes `id` (its first place); false when absent. O(length). */
  remove(id: string): boolean {
    const i = this.items.indexOf(id, this.head);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** Keeps, in order, only the ids `keep` accepts. O(length). */
  retain(keep: (id: string) => boolean): void {
    this.items = this.items.slice(this.head).filter(keep);
    this.head = 0;
  }

  /** Moves the first id `pred` accepts to the front and returns it; null when none does. O(length). */
  moveToFront(pred: (id: string) => boolean): string | null {
    for (let i = this.head; i < this.items.length; i++) {
      const id = this.items[i]!;
      if (!pred(id)) continue;
      if (i > this.head) {
        this.items.splice(i, 1);
        this.items.splice(this.head, 0, id);
      }
      return id;
    }
    return null;
  }
}
