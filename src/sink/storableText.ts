/**
 * What a name or tag value must be for InfluxDB to store it and give it back unchanged, whichever
 * line-protocol reader takes it. One rule for what the user names (jobs, series: checked by
 * `validate`) and for what Radar names (group keys: refused to the dead letters by the encoder), so
 * that two different texts never end up as one series:
 * - not empty: InfluxDB has no empty tag value; a point without its `group_key` would join another;
 * - no line break, and no other control character (U+0000–U+001F, U+007F): InfluxDB 1.6 takes them,
 *   the reference parser refuses them (influxdata/line-protocol v2, `lineprotocol/decoder.go`:
 *   `nonPrintable` is excluded from measurement, tag and field-key characters);
 * - well-formed UTF-16: a lone surrogate has no UTF-8 form, and every one becomes U+FFFD on the way
 *   out, so two different keys would meet as one;
 * - no backslash before a character line protocol escapes (`,` `=` space in tags, `,` space in a
 *   measurement) or at the end: InfluxDB 1.x unescapes only those pairs and keeps every other
 *   backslash, so such a backslash cannot be written so that it reads back as itself.
 */
export function unstorableReason(text: string, kind: 'tag' | 'measurement' = 'tag'): string | undefined {
  if (text.length === 0) return 'is empty';
  if (/[\n\r]/.test(text)) return 'contains a line break';
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const control = /[\u0000-\u001f\u007f]/.exec(text);
  if (control)
    return `contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate, which UTF-8 cannot carry';
  const ambiguous = (kind === 'measurement' ? AMBIGUOUS_IN_MEASUREMENT : AMBIGUOUS_IN_TAG).exec(text);
  if (ambiguous) return `has a backslash before "${ambiguous[1] || 'the end'}", which InfluxDB cannot store`;
  return undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const AMBIGUOUS_IN_TAG = /\\([,= ]|$)/;
const AMBIGUOUS_IN_MEASUREMENT = /\\([, ]|$)/;

/**
 * The one cleaning rule for display text (string fields: names, labels, countries, descriptions):
 * control characters become spaces and lone surrogates U+FFFD, spaces are collapsed and trimmed. A line
 * break must never reach a line of line protocol: the spool splits its segments at line breaks, and
 * a record cut in two there became two dead letters, neither of them the name. (Tags are identities,
 * never cleaned: one that cannot be stored is refused, see unstorableReason.)
 */
export function cleanText(text: string | null | undefined): string {
  return (text ?? '').replace(LONE_SURROGATES, '\uFFFD').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

// eslint-disable-next-line no-control-regex -- replacing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]+/g;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
