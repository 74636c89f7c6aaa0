/**
 * The container's health check (Dockerfile HEALTHCHECK, compose, Kubernetes exec probes): asks the
 * service's own /healthz where HTTP_LISTEN says it listens, so the check follows a changed address
 * (a wildcard host is asked on loopback). Exit 0 when it answers 2xx, 1 otherwise; with HTTP_LISTEN
 * off there is nothing to ask, and the check passes. Standalone and tiny: it runs every 30 s.
 */
const listen = process.env.HTTP_LISTEN?.trim() || '127.0.0.1:9464';
if (listen === 'off') process.exit(0);
const address = listen.replace(/^(0\.0\.0\.0|\[::\]|::):/, '127.0.0.1:');
try {
  const answer = await fetch(`http://${address}/healthz`, { signal: AbortSignal.timeout(4000) });
  process.exit(answer.ok ? 0 : 1);
} catch {
  process.exit(1);
}
