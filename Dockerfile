# syntax=docker/dockerfile:1
# LoginConsumer image: published with the SDK as one native executable (Native AOT), run on the runtime-deps
# image (no SDK, no .NET runtime in the final stage), as the images' non-root user (UID 1654), with a read-only
# root filesystem (give it a writable /tmp).
#
#   docker build -t loginconsumer:local .
#   docker run --read-only --tmpfs /tmp -p 8080:8080 -e ... loginconsumer:local run

FROM mcr.microsoft.com/dotnet/sdk:10.0.401 AS build
# The native publish links with clang against zlib; the SDK image has neither.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/LoginConsumer/LoginConsumer.csproj src/LoginConsumer/
RUN dotnet restore src/LoginConsumer/LoginConsumer.csproj
COPY src/LoginConsumer/ src/LoginConsumer/
# The one publish command (native, see the project's publish settings); ContainerTests runs this same line and
# drives the result through the ENTRYPOINT below. The separate debug symbols stay in the build stage.
RUN dotnet publish src/LoginConsumer/LoginConsumer.csproj -c Release -o /app
RUN mkdir /symbols && mv /app/*.dbg /symbols/

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0.12 AS final
WORKDIR /app
COPY --from=build /app ./
# The base image sets ASPNETCORE_HTTP_PORTS=8080, APP_UID=1654 and DOTNET_RUNNING_IN_CONTAINER=true (JSON logs).
# Diagnostics IPC would want a writable /tmp; without one it is simply off, so a read-only root works either way.
ENV DOTNET_EnableDiagnostics=0
USER $APP_UID
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/app/LoginConsumer", "probe", "live"]
ENTRYPOINT ["/app/LoginConsumer"]
CMD ["run"]
