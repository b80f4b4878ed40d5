# One image for every pipeline process; the service's command picks the stage (`bridge run <stage>`).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# npm ci applies these (patch-package, README "Patched dependencies"), so they come first.
COPY patches ./patches
# Node.js 24 runs the TypeScript sources as they are (type stripping): never stale output.
RUN npm ci --omit=dev
COPY bin ./bin
COPY src ./src
COPY topologies ./topologies
COPY schemas ./schemas
COPY tsconfig.json ./
USER node
ENTRYPOINT ["node", "bin/bridge.js"]
