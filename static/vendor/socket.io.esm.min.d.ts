// Types for the vendored ES module build: the npm package's own declarations (type checks only).
export { io, Socket } from "socket.io-client";
