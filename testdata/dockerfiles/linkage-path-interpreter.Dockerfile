# A command found through PATH whose loader is not in the image: runc
# names the file it executes, the PATH entry it found
# ("exec /usr/local/bin/server: no such file or directory").
FROM gcr.io/distroless/static-debian12
COPY app-dyn /usr/local/bin/server
ENTRYPOINT ["server"]
