package domain

// schemaEvents lists the events of this aggregate (stub until the aggregate lands).
var schemaEvents = []eventDef{}
