# syntax=docker/dockerfile:1.4
# escape=`
FROM gcr.io/distroless/static-debian12
COPY <<EOF /etc/app.conf
listen = 8080
EOF
COPY app `
  /app
CMD ["/app", "--config", "/etc/app.conf"]
