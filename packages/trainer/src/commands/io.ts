/** Where a command prints: stdout lines and stderr lines (the CLI's console, or a test's arrays). */
export interface CommandIo {
  log(line: string): void;
  error(line: string): void;
}
