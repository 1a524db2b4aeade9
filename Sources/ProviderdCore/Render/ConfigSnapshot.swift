/// Everything one render needs, as read from the database.
package struct ConfigSnapshot: Sendable, Equatable {
    package var keys: [APIKeyRow]
    package var services: [ServiceConfig]

    package init(keys: [APIKeyRow], services: [ServiceConfig]) {
        self.keys = keys
        self.services = services
    }
}
