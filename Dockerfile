# The kwi image: the kwi binary alone on a distroless base (glibc, no shell), run as non-root.
#   podman build -t kwi:0.1.0 .      (or docker build / buildah bud)
# The webhook manifests (kwi webhook manifests --image IMAGE) run it as `/kwi webhook serve`.

FROM docker.io/library/rust:1-slim-bookworm AS build
# aws-lc-sys compiles C (cc and a C++-free toolchain); perl and make for its build script.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake perl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p kwi && install -m 0755 target/release/kwi /kwi

# glibc (aws-lc) and nothing else: no shell, no package manager; uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /kwi /kwi
USER 65532:65532
ENTRYPOINT ["/kwi"]
