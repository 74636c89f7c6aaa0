/**
 * A jest reporter that makes a hang visible and ends it.
 *
 * - While the suite runs, the file named by JEST_RUNNING_FILE (when set) holds the test files and tests
 *   running now, one a line: `.ci/run` prints it when a pass overruns its time bound, so a hang names
 *   its file instead of using up CI's time.
 * - After the last test, jest should exit by itself. When something a test started is still alive
 *   (a timer, a socket, a child process) jest waits for it for ever ("Jest did not exit one second
 *   after the test run has completed"). This reporter waits `exitAfterMs`, then names the kinds of
 *   handle still open and exits 1: a leak is a defect of the test that left it, never a reason to hang.
 *   `npm run test:handles` runs jest with --detectOpenHandles to find which test opened it.
 */
import console from 'node:console';
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';

export default class WatchdogReporter {
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.exitAfterMs = options.exitAfterMs ?? 10_000;
    this.runningFile = process.env.JEST_RUNNING_FILE;
    /** The test files running now, each with the test it is in (when jest says). */
    this.running = new Map();
  }

  onTestFileStart(test) {
    this.running.set(test.path, '');
    this.save();
  }

  onTestCaseStart(test, testCase) {
    if (!this.running.has(test.path)) return;
    this.running.set(test.path, testCase.fullName ?? '');
    this.save();
  }

  onTestFileResult(test) {
    this.running.delete(test.path);
    this.save();
  }

  onRunComplete() {
    const timer = setTimeout(() => {
      const open = process
        .getActiveResourcesInfo()
        .filter((kind) => kind !== 'TTYWrap')
        .join(', ');
      console.error(
        `\njest has not exited ${this.exitAfterMs / 1000} s after the last test: something a test started is ` +
          `still open (${open || 'nothing node lists'}). Run "npm run test:handles" to find which test left it.`,
      );
      process.exit(1);
    }, this.exitAfterMs);
    timer.unref();
  }

  save() {
    if (!this.runningFile) return;
    const lines = [...this.running].map(
      ([path, test]) => `${relative(this.rootDir, path)}${test ? ` › ${test}` : ''}`,
    );
    writeFileSync(this.runningFile, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  }
}
