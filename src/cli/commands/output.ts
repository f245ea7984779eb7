/** Where a command writes: stdout for its result, stderr for messages. Tests pass their own. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processOutput: Output = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export const NO_RUNS = 'No runs recorded yet: run `npm start` first.\n';
export const noRun = (runId: string) => `No run ${runId} in the store (see \`npm run sf-sync -- runs\`).\n`;
