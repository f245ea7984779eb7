/** The TCP listener: accepts TDS connections and closes them all on stop. */
import { createServer, type Server } from 'node:net';
import { type ServerContext, TdsConnection } from './connection.js';

export interface TdsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function listenTds(ctx: ServerContext, host: string, port: number): Promise<TdsServer> {
  const connections = new Set<TdsConnection>();
  let nextSpid = 51;
  const server: Server = createServer((socket) => {
    const spid = nextSpid;
    nextSpid = nextSpid >= 32000 ? 51 : nextSpid + 1;
    const connection = new TdsConnection(socket, ctx, spid);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => ctx.log(`server error: ${error.message}`));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the TDS server has no TCP address');
  return {
    port: address.port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const finished = [...connections].map((connection) => connection.finished);
      for (const connection of connections) connection.destroy();
      await Promise.all([closed, ...finished]);
    },
  };
}
