# syntax=docker/dockerfile:1
# LoginConsumer image: built with the SDK, run on the ASP.NET Core runtime image (no SDK in the final stage),
# as the images' non-root user (UID 1654), with a read-only root filesystem (give it a writable /tmp).
#
#   docker build -t loginconsumer:local .
#   docker run --read-only --tmpfs /tmp -p 8080:8080 -e ... loginconsumer:local run

FROM mcr.microsoft.com/dotnet/sdk:10.0.401 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/LoginConsumer/LoginConsumer.csproj src/LoginConsumer/
RUN dotnet restore src/LoginConsumer/LoginConsumer.csproj
COPY src/LoginConsumer/ src/LoginConsumer/
# The one publish command; DeployTests runs this same line and checks the result answers --help.
RUN dotnet publish src/LoginConsumer/LoginConsumer.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0.12 AS final
WORKDIR /app
COPY --from=build /app ./
# The base image sets ASPNETCORE_HTTP_PORTS=8080, APP_UID=1654 and DOTNET_RUNNING_IN_CONTAINER=true (JSON logs).
# Diagnostics IPC would want a writable /tmp; without one it is simply off, so a read-only root works either way.
ENV DOTNET_EnableDiagnostics=0
USER $APP_UID
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["dotnet", "/app/LoginConsumer.dll", "probe", "live"]
ENTRYPOINT ["dotnet", "/app/LoginConsumer.dll"]
CMD ["run"]
