// Signal handling for long-running commands: the first SIGTERM/SIGINT asks for a graceful
// stop, the second for an immediate one (running jobs handed back to QUEUED).

/** Stops requested by signals; `dispose()` removes the handlers. */
export interface SignalStops {
  dispose(): void;
}

/** Calls `graceful` on the first SIGTERM or SIGINT and `now` on any later one. */
export function onStopSignals(handlers: { graceful(signal: string): void; now(signal: string): void }): SignalStops {
  let received = 0;
  const listener = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) handlers.graceful(signal);
    else handlers.now(signal);
  };
  process.on("SIGTERM", listener);
  process.on("SIGINT", listener);
  return {
    dispose: () => {
      process.off("SIGTERM", listener);
      process.off("SIGINT", listener);
    },
  };
}

/** Resolves on the first SIGTERM or SIGINT (for processes with nothing to hand back). */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const signals = onStopSignals({
      graceful: () => {
        signals.dispose();
        resolve();
      },
      now: () => undefined,
    });
  });
}
