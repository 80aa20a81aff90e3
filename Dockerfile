# syntax=docker/dockerfile:1
# mlhub image: `mlhub server` (tracking) and `mlhub serve` (inference) in one binary.
# Build: docker build -t mlhub:dev .
# The package lists follow scripts/bootstrap.sh (tests/deploy/test_dockerfile.py checks both
# stages against it and against the libraries the binary links).

# --- build stage: the build packages of scripts/bootstrap.sh (its test and benchmark packages
# are left out: the image is built with BUILD_TESTING=OFF) ------------------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost-dev libsimdjson-dev libsqlite3-dev libpq-dev libspdlog-dev libfmt-dev libcli11-dev \
      libssl-dev libcurl4-openssl-dev libpugixml-dev \
      libxgboost-dev xgboost libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc \
      libyaml-cpp-dev \
      libtorch-dev libopenblas0-pthread \
      nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The web UI (ui/) is built with npm and Vite during the CMake build and compiled into mlhub.
RUN cd ui && npm ci --no-audit --no-fund
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build --target mlhub mlhub_torch \
 && strip /build/src/mlhub /build/src/libmlhub_torch.so

# --- runtime stage: only the shared libraries mlhub and its TorchScript module link -----------
FROM debian:bookworm-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      ca-certificates \
      libsqlite3-0 libpq5 libpugixml1v5 libcurl4 libssl3 \
      libgrpc++1.51 libgrpc29 libabsl20220623 libprotobuf32 \
      libsimdjson14 libspdlog1.10 libfmt9 libyaml-cpp0.7 libxgboost0 \
      libtorch1.13 libopenblas0-pthread \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 mlhub \
 && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /var/lib/mlhub --shell /usr/sbin/nologin mlhub \
 && install -d -o 1000 -g 1000 /var/lib/mlhub
COPY --from=build /build/src/mlhub /usr/local/bin/mlhub
# The TorchScript backend is a module mlhub loads when a pytorch model loads; it looks for it next
# to the binary and in ../lib/mlhub.
COPY --from=build /build/src/libmlhub_torch.so /usr/local/lib/mlhub/libmlhub_torch.so
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 1000:1000
WORKDIR /var/lib/mlhub
# 5000: mlhub server; 8080 / 8081: mlhub serve (HTTP / gRPC)
EXPOSE 5000 8080 8081
ENTRYPOINT ["mlhub"]
CMD ["--help"]
