// Placeholders the README snippets use for ids the reader brings.
declare const batchId: string;
declare const scheduleId: string;
declare const runId: string;
