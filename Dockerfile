# Article Bot. Build: docker build -t article-bot .
# Run:   docker run --env-file .env -v article-corpus:/app/corpus -v article-index:/app/index \
#            -v article-data:/app/data article-bot
# Any other command: docker run … article-bot sync --guild 123456789012345678

# ---- build: a virtual environment with the CPU build of PyTorch ---------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch first, from PyTorch's CPU index: a plain `pip install torch` pulls a multi-GB CUDA build.
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu \
    || pip install "torch==2.13.0"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .

# ---- runtime: the environment, the seed corpus, a non-root user ---------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    CORPUS_DIR=/app/corpus \
    INDEX_DIR=/app/index \
    FEEDBACK_LOG=/app/data/feedback.jsonl
RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /app/corpus /app/index /app/data \
    && chown bot:bot /app /app/corpus /app/index /app/data
COPY --from=build /opt/venv /opt/venv
# The seed article; a volume mounted on /app/corpus starts from it when it is empty.
COPY --chown=bot:bot corpus/ /app/corpus/
USER bot
WORKDIR /app
VOLUME ["/app/corpus", "/app/index", "/app/data"]
# Healthy while the index loads and passes its checksums (the first start builds it).
HEALTHCHECK --interval=60s --timeout=30s --start-period=180s --retries=3 \
    CMD ["python", "-m", "bot", "status"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
