/**
 * A value as it is quoted in a message, cut to a readable length: a 5 MB name in jobs.yaml once came
 * back whole in the error (and in the log line of every reload).
 */
export function quoteValue(value: unknown, max = 60): string {
  const text = JSON.stringify(value) ?? String(value);
  if (text.length <= max) return text;
  const length =
    typeof value === 'string' ? `${value.length} characters` : `${text.length} characters as JSON`;
  return `${text.slice(0, max)}… (${length})`;
}
