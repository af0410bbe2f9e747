# Huifang in one static binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/huifang ./cmd/huifang

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata espeak-ng \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/huifang huifang \
    && mkdir -p /var/lib/huifang/recordings && chown -R huifang /var/lib/huifang
COPY --from=build /out/huifang /usr/local/bin/huifang
USER huifang
WORKDIR /var/lib/huifang
ENV HUIFANG_HTTP_ADDR=0.0.0.0:8080 HUIFANG_SIP_ADDR=0.0.0.0:5060 HUIFANG_RECORDINGS_DIR=/var/lib/huifang/recordings HUIFANG_METRICS_ADDR=0.0.0.0:9090
EXPOSE 8080 5060/udp 5060/tcp 9090
ENTRYPOINT ["huifang"]
CMD ["serve"]
