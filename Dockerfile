# Sandbox execution service. Build: docker build -t faas-sandbox .
FROM denoland/deno:2.9.6

WORKDIR /app
ENV DENO_DIR=/app/.deno \
    DENO_NO_UPDATE_CHECK=1 \
    NO_COLOR=1 \
    FAAS_HOST=0.0.0.0 \
    FAAS_PORT=8000

# Dependencies first, so code changes reuse this layer.
COPY deno.json deno.lock ./
COPY . .
# Fetch npm packages (Pyodide included) and compile every entry point into the
# cache: at run time the service runs with --cached-only and needs no network.
# Then bake the Python memory snapshot into the image (node_modules/.cache/faas),
# so a container is ready in about a second instead of making it at each start.
RUN deno task install \
 && deno cache main.ts sandbox/host_main.ts workers/python_worker.ts workers/js_worker.ts \
 && deno task snapshot \
 && chown -R root:root /app && chmod -R a+rX /app

# The image's unprivileged user; nothing under /app is writable by it.
USER deno
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["deno", "eval", "--no-prompt", "const r = await fetch('http://127.0.0.1:8000/health'); Deno.exit(r.ok ? 0 : 1)"]

# The same flags as `deno task start`.
CMD ["deno", "run", "--no-prompt", "--cached-only", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-run", "--allow-sys", "main.ts"]
