FROM gcc:13 AS build
WORKDIR /src
COPY . .
RUN g++ -O2 -o /server main.cpp
FROM gcr.io/distroless/cc-debian12
COPY --from=build /server /server
ENTRYPOINT ["/server"]
