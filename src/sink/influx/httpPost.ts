import http from 'node:http';
import https from 'node:https';
import { PostTimeoutError } from '../../failures/transportError.js';

/**
 * A plain HTTP POST for the InfluxDB 1.x write path. The line protocol of a window is the service's
 * bulk traffic, and got's per-request work (option merging, hooks, streams) cost about 15 % of the
 * service's CPU in the ingest benchmark; node's own client with a keep-alive agent does the same job
 * for less. Radar requests keep using got.
 *
 * The answer is read with node's lenient parser (`insecureHTTPParser`): influxd copies the text of a
 * line it cannot parse into its `X-Influxdb-Error` header, control bytes and all (httpd/handler.go,
 * `httpError`), and the strict parser rejects that answer as HPE_INVALID_HEADER_TOKEN, so a refusal
 * looked like a network error and was retried for ever (one damaged spool segment blocked every
 * later write). Only the status and body are used; the lenient parse reaches no header we trust.
 */
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export function postText(
  url: URL,
  body: string | Buffer,
  options: { headers: Record<string, string>; timeoutMs: number },
): Promise<{ statusCode: number; body: string }> {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        insecureHTTPParser: true,
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        headers: {
          ...options.headers,
          'content-type': 'text/plain; charset=utf-8',
          'content-length': payload.length,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ statusCode: response.statusCode ?? 0, body: text });
        });
        response.on('error', fail);
      },
    );
    const timer = setTimeout(
      () => request.destroy(new PostTimeoutError(options.timeoutMs)),
      options.timeoutMs,
    );
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
    request.end(payload);
  });
}
