# /bin is a directory of the base: a file copied to it goes inside
FROM gcr.io/distroless/static-debian12
COPY app /bin
CMD ["/bin/app"]
