FROM golang:1.20 as build
WORKDIR /app
COPY . .
RUN go mod download
RUN CGO_ENABLED=0 go build -o /app/bin
FROM gcr.io/distroless/static-debian11
COPY --from=build /app/bin /app
CMD ["/app"]
