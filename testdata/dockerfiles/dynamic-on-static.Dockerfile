FROM ubuntu:22.04 AS build
RUN apt-get update && apt-get install -y gcc
COPY . .
RUN gcc -O2 -o /hello hello.c
FROM gcr.io/distroless/static-debian12
COPY --from=build /hello /hello
CMD ["/hello"]
