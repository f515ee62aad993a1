# dockup as an image: a build stage with the Rust toolchain, and a final stage from scratch that
# holds nothing but the static binary (a few MB; no shell, no libc, no CA bundle needed).
#
#   docker build -t dockup .
#   docker run --rm dockup --version
#   docker run --rm -v /:/host:ro dockup detect --root /host
#
# RUST_IMAGE is the build stage's base: any image with cargo and a C compiler that targets musl
# (ring builds C). rust:alpine is one; CI passes one it makes locally, as it reaches no registry.
ARG RUST_IMAGE=rust:1-alpine

FROM ${RUST_IMAGE} AS build
RUN if command -v apk >/dev/null; then apk add --no-cache musl-dev; fi
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY platforms platforms
COPY src src
# The musl target links statically, so the binary needs nothing from the final stage.
RUN target="$(uname -m)-unknown-linux-musl" \
    && cargo build --release --locked --target "$target" \
    && cp "target/$target/release/dockup" /dockup \
    && /dockup --version

FROM scratch
COPY --from=build /dockup /dockup
ENTRYPOINT ["/dockup"]
