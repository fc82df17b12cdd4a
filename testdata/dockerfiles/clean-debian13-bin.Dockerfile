# debian13 is usr-merged: /bin is a link to usr/bin, and the copy goes through it
FROM gcr.io/distroless/static-debian13
COPY app /bin/
CMD ["/bin/app"]
