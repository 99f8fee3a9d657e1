/**
 * A real unique answer with its evidence, for a floor benchmark to hand to every request as it
 * is: asked on each block of an address (a port every 1,024 from 1024) until one block's holder
 * is unique at that instant.
 */
export async function readyAnswer<A extends { status: string }>(resolveAt: (port: number) => Promise<A>, lastPort = 65535): Promise<A> {
  for (let port = 1024; port <= lastPort; port += 1024) {
    const answer = await resolveAt(port);
    if (answer.status === 'unique') return answer;
  }
  throw new Error(`no port from 1024 to ${lastPort} has a unique holder to serve as the ready-made answer`);
}
