# Multi-stage: build with the Rust toolchain, run on a slim Debian with only the binary.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY tools ./tools
COPY tests ./tests
COPY config ./config
RUN cargo build --release --locked --bin skerry

FROM debian:bookworm-slim
# A system user without a shell; it owns /data and nothing else.
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin skerry \
    && mkdir -p /data && chown skerry:skerry /data && chmod 700 /data
COPY --from=build /src/target/release/skerry /usr/local/bin/skerry
USER skerry
VOLUME /data
ENV SKERRY_STORAGE_DATA_DIR=/data \
    SKERRY_SERVER_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=6s --start-period=10s CMD ["skerry", "health"]
# Set SKERRY_SERVER_HOST to the public host name (https is then assumed).
CMD ["skerry", "serve"]
