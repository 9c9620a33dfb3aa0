"""Registry errors: DictaMesh errors that also carry Confluent Schema Registry's ``error_code``.

The Confluent API answers ``{"error_code", "message"}``; DictaMesh's own API answers ``{"code", "message"}``.
"""

from __future__ import annotations

from dictamesh.errors import DictaMeshError


class RegistryError(DictaMeshError):
    error_code = 50001
    status = 500
    code = "store_error"

    def __init__(self, message: str):
        super().__init__(message)

    def confluent(self) -> dict:
        return {"error_code": self.error_code, "message": self.message}


def _error(name: str, error_code: int, status: int, code: str) -> type[RegistryError]:
    return type(name, (RegistryError,), {"error_code": error_code, "status": status, "code": code})


SubjectNotFound = _error("SubjectNotFound", 40401, 404, "subject_not_found")
VersionNotFound = _error("VersionNotFound", 40402, 404, "version_not_found")
SchemaNotFound = _error("SchemaNotFound", 40403, 404, "schema_not_found")
SubjectSoftDeleted = _error("SubjectSoftDeleted", 40404, 404, "subject_soft_deleted")
SubjectNotSoftDeleted = _error("SubjectNotSoftDeleted", 40405, 404, "subject_not_soft_deleted")
VersionSoftDeleted = _error("VersionSoftDeleted", 40406, 404, "version_soft_deleted")
VersionNotSoftDeleted = _error("VersionNotSoftDeleted", 40407, 404, "version_not_soft_deleted")
CompatibilityNotConfigured = _error("CompatibilityNotConfigured", 40408, 404, "compatibility_not_configured")
ModeNotConfigured = _error("ModeNotConfigured", 40409, 404, "mode_not_configured")
IncompatibleSchema = _error("IncompatibleSchema", 409, 409, "incompatible_schema")
InvalidSchemaError = _error("InvalidSchemaError", 42201, 422, "invalid_schema")
InvalidVersion = _error("InvalidVersion", 42202, 422, "invalid_version")
InvalidCompatibilityLevel = _error("InvalidCompatibilityLevel", 42203, 422, "invalid_compatibility_level")
InvalidMode = _error("InvalidMode", 42204, 422, "invalid_mode")
OperationNotPermitted = _error("OperationNotPermitted", 42205, 422, "operation_not_permitted")
ReferenceExists = _error("ReferenceExists", 42206, 422, "reference_exists")
SchemaTooLarge = _error("SchemaTooLarge", 42209, 422, "schema_too_large")
StoreError = RegistryError
OperationDenied = _error("OperationDenied", 40301, 403, "permission_denied")  # governance refused a write
