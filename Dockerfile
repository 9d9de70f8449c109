# Sandbox execution service. Build: docker build -t faas-sandbox .
# With Python packages from Pyodide's distribution (pure Python or compiled):
#   docker build --build-arg PYTHON_PACKAGES="numpy pandas" --build-arg PYTHON_PRELOAD="numpy" -t faas-sandbox .

# Pyodide's full package distribution, matching the pinned Pyodide, only when
# packages are asked for; otherwise an empty directory.
FROM denoland/deno:2.9.6 AS packages
ARG PYTHON_PACKAGES=""
ARG PYODIDE_VERSION=314.0.7
RUN mkdir -p /python-packages \
 && if [ -n "$PYTHON_PACKAGES" ]; then \
      apt-get update && apt-get install -y --no-install-recommends curl ca-certificates bzip2 \
      && curl -fsSL "https://github.com/pyodide/pyodide/releases/download/${PYODIDE_VERSION}/pyodide-${PYODIDE_VERSION}.tar.bz2" \
         | tar -xj -C /python-packages --strip-components=1; \
    fi

FROM denoland/deno:2.9.6
ARG PYTHON_PACKAGES=""
ARG PYTHON_PRELOAD=""

WORKDIR /app
ENV DENO_DIR=/app/.deno \
    DENO_NO_UPDATE_CHECK=1 \
    NO_COLOR=1 \
    FAAS_HOST=0.0.0.0 \
    FAAS_PORT=8000 \
    FAAS_LOG_FORMAT=json \
    FAAS_PYTHON_PACKAGES_DIR=/app/python-packages \
    FAAS_PYTHON_PACKAGES=${PYTHON_PACKAGES} \
    FAAS_PYTHON_PRELOAD=${PYTHON_PRELOAD}

# Dependencies first: the npm packages (Pyodide included) come from the lock
# file alone, so a code change reuses this layer and downloads nothing.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY --from=packages /python-packages /app/python-packages
# The Python memory snapshot depends only on the configuration, the Python
# packaging, the workers and the protocol they speak (and the packages): it
# gets a layer of its own, so other code changes reuse it.
COPY config/ config/
COPY core/ core/
COPY protocol/ protocol/
COPY python/ python/
COPY workers/ workers/
RUN deno run --no-prompt --allow-env --allow-read --allow-write python/snapshot_main.ts
COPY . .
# Compile every entry point into the cache (at run time the service runs with
# --cached-only and needs no network) and check the snapshot is cached (in
# node_modules/.cache/faas: a container is ready in about a second instead of
# making it at each start; a bad package failed the build above).
RUN deno task install \
 && deno cache main.ts host/host_main.ts workers/python_worker.ts workers/js_worker.ts \
 && deno task snapshot \
 && chown -R root:root /app && chmod -R a+rX /app \
 && mkdir -p /app/data && chown deno:deno /app/data

# Jobs (FAAS_JOB_STORE) live here: mount a volume to keep them across containers.
VOLUME /app/data

# The image's unprivileged user; nothing under /app is writable by it.
USER deno
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["deno", "eval", "--no-prompt", "const p = Deno.env.get('FAAS_METRICS_PORT') || Deno.env.get('FAAS_PORT') || '8000'; const r = await fetch('http://127.0.0.1:' + p + '/health').catch(() => null); Deno.exit(r?.ok ? 0 : 1)"]

# The same flags as `deno task start`.
CMD ["deno", "run", "--no-prompt", "--cached-only", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-run", "--allow-sys", "main.ts"]
