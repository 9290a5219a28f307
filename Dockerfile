# Build a static binary, then run it as a non-root user with the database on
# a volume.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/patpolicy . && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/patpolicy /usr/local/bin/patpolicy
# The volume's mount point belongs to the user the server runs as.
COPY --from=build --chown=nonroot:nonroot /out/data /data
VOLUME ["/data"]
ENV PATPOLICY_ADDR=0.0.0.0:8080 PATPOLICY_DB=/data/patpolicy.db
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/patpolicy"]
