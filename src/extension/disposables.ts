import type * as vscode from 'vscode';

/**
 * One store per owner for every listener, socket, timer and panel it created: disposing
 * the owner disposes them all, in reverse order, and a failing dispose does not stop the rest.
 */
export class DisposableStore implements vscode.Disposable {
  private items: vscode.Disposable[] = [];
  private disposed = false;

  add<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) {
      // Added after the owner went away: release it at once instead of leaking it.
      safeDispose(d);
      return d;
    }
    this.items.push(d);
    return d;
  }

  /** Wraps a plain cleanup function (an unsubscribe, clearTimeout, ...). */
  addFn(fn: () => void): void {
    this.add({ dispose: fn });
  }

  delete(d: vscode.Disposable): void {
    const i = this.items.indexOf(d);
    if (i >= 0) this.items.splice(i, 1);
    safeDispose(d);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const items = this.items.reverse();
    this.items = [];
    for (const d of items) safeDispose(d);
  }
}

function safeDispose(d: vscode.Disposable): void {
  try {
    d.dispose();
  } catch {
    // Teardown continues: one bad disposable must not keep the others alive.
  }
}
