// The management API's types (`Components`, `Operations`) and server protocol
// (`APIProtocol`, `registerHandlers`) are generated from `openapi.yaml` in this
// folder at build time by swift-openapi-generator: the document is the source of
// truth, and the code cannot drift from it.
package import OpenAPIRuntime
