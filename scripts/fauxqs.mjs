// Starts the pinned SQS emulator through its library API. fauxqs's own entry points (dist/cli.js and
// dist/server.js) pass `logger: true`, which wins over FAUXQS_LOGGER, so they write two JSON lines per
// request: 78 MB for one bench run, and 15-20% of the emulator's CPU per message. Here the request
// log is off unless FAUXQS_LOGGER=true.
import { startFauxqs } from "fauxqs";

await startFauxqs({
  port: Number.parseInt(process.env.FAUXQS_PORT ?? "4566", 10),
  host: process.env.FAUXQS_HOST,
  logger: process.env.FAUXQS_LOGGER === "true",
});
