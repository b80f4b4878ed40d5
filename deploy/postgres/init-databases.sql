-- The pipeline's own database is POSTGRES_DB (bridge); Apicurio keeps its schemas in a second one.
CREATE DATABASE registry OWNER bridge;
