# A small image with a static kdg binary.
#   docker build -t kdg:0.1.0 .
#   docker run --rm kdg:0.1.0 render /templates/price.hbs -n 3
# Runs as uid/gid 65532, not root. .dockerignore keeps target/, .git and test output out of the
# build context.
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
# musl on Alpine links statically; rustls means no OpenSSL is needed.
RUN cargo build --release --locked --bin kdg && strip target/release/kdg

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/target/release/kdg /kdg
COPY templates /templates
# No root: scratch has no users, so a fixed unprivileged uid/gid (the "nonroot" id distroless uses).
USER 65532:65532
# --metrics-listen 0.0.0.0:9464 in deploy/kubernetes/kdg-job.yaml.
EXPOSE 9464
ENTRYPOINT ["/kdg"]
