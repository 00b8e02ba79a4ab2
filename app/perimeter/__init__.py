"""What every request meets before a route: tokens from the sidecar, rate limits, body size,
security headers, CORS and idempotent replays."""
