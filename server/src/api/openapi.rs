//! The OpenAPI 3.1 description of `/api/v1`, kept next to the handlers it describes.

use axum::Json;
use serde_json::{json, Value};

pub async fn document() -> Json<Value> {
    Json(spec())
}

pub fn spec() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let err = |desc: &str| json!({"description": desc, "content": {"application/json": {"schema": error.clone()}}});
    let name_param = json!({"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The domain's A-label name, e.g. xn--bcher-kva.example"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Portcullis API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Hosted MTA-STS and TLS-RPT. Every token acts in one organisation with one role (owner, editor, viewer)."
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/domains": {
                "get": {
                    "summary": "List the organisation's domains",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Substring of the name"},
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
                    ],
                    "responses": {
                        "200": {"description": "A page of domains", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DomainPage"}}}},
                        "401": err("Missing or unknown token")
                    }
                },
                "post": {
                    "summary": "Register a domain (editor or owner)",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "example": "example.com"}}}}}},
                    "responses": {
                        "201": {"description": "Registered", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Domain"}}}},
                        "400": err("Malformed JSON"),
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "409": err("Already registered"),
                        "413": err("Body too large"),
                        "415": err("Not JSON"),
                        "422": err("Invalid domain name")
                    }
                }
            },
            "/domains/{name}": {
                "get": {
                    "summary": "One domain",
                    "parameters": [name_param.clone()],
                    "responses": {
                        "200": {"description": "The domain", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Domain"}}}},
                        "401": err("Missing or unknown token"),
                        "404": err("Not in this organisation")
                    }
                },
                "delete": {
                    "summary": "Delete a domain (editor or owner)",
                    "parameters": [name_param],
                    "responses": {
                        "204": {"description": "Deleted"},
                        "401": err("Missing or unknown token"),
                        "403": err("The token's role does not allow this"),
                        "404": err("Not in this organisation")
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "example": "invalid"},
                        "message": {"type": "string"}
                    }}}
                },
                "Domain": {
                    "type": "object",
                    "required": ["name", "organization", "created_at"],
                    "properties": {
                        "name": {"type": "string"},
                        "unicode": {"type": ["string", "null"]},
                        "organization": {"type": "string", "description": "Organisation identifier (slug)"},
                        "mode": {"type": ["string", "null"], "enum": ["testing", "enforce", "none", null]},
                        "created_at": {"type": "string", "format": "date-time"}
                    }
                },
                "DomainPage": {
                    "type": "object",
                    "properties": {
                        "domains": {"type": "array", "items": {"$ref": "#/components/schemas/Domain"}},
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "page_size": {"type": "integer"}
                    }
                }
            }
        }
    })
}
