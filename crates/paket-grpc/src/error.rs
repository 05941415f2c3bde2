//! The one mapping from `ServiceError` kinds to gRPC status codes.

use paket_service::ServiceError;
use tonic::Status;

/// Converts a service error into the status sent to the client.
///
/// Messages of client errors are written by the service for the caller and
/// are passed on. Internal and unavailable errors may name tables, hosts or
/// connection details, so those are logged here and the client gets a
/// generic message.
pub(crate) fn status_from(error: ServiceError) -> Status {
    match error {
        ServiceError::InvalidInput(message) => Status::invalid_argument(message),
        ServiceError::Unauthenticated(message) => Status::unauthenticated(message),
        ServiceError::Forbidden(message) => Status::permission_denied(message),
        ServiceError::NotFound(message) => Status::not_found(message),
        // A conflict is a duplicate in most cases, and google.rpc.Code lists
        // ALREADY_EXISTS as the code for HTTP 409, the status the REST API returns.
        // FAILED_PRECONDITION would tell clients to fix the system state
        // first, which a duplicate does not call for.
        ServiceError::Conflict(message) => Status::already_exists(message),
        ServiceError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "gRPC request failed: a dependency is unavailable");
            Status::unavailable("the service is temporarily unavailable, try again shortly")
        }
        ServiceError::Internal(detail) => {
            tracing::error!(error = %detail, "gRPC request failed with an internal error");
            Status::internal("internal error")
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn kinds_map_to_codes() {
        let cases = [
            (ServiceError::InvalidInput("bad".into()), Code::InvalidArgument),
            (ServiceError::Unauthenticated("bad".into()), Code::Unauthenticated),
            (ServiceError::Forbidden("bad".into()), Code::PermissionDenied),
            (ServiceError::NotFound("bad".into()), Code::NotFound),
            (ServiceError::Conflict("bad".into()), Code::AlreadyExists),
            (ServiceError::Unavailable("bad".into()), Code::Unavailable),
            (ServiceError::Internal("bad".into()), Code::Internal),
        ];
        for (error, code) in cases {
            let description = format!("{error:?}");
            assert_eq!(status_from(error).code(), code, "{description}");
        }
    }

    #[test]
    fn client_errors_keep_message() {
        let status = status_from(ServiceError::Unauthenticated("the access token has expired".into()));

        assert_eq!(status.message(), "the access token has expired");
    }

    #[test]
    fn server_errors_hide_detail() {
        let internal = status_from(ServiceError::Internal("plan item 42 has an invalid status".into()));
        let unavailable = status_from(ServiceError::Unavailable("connection refused at 10.0.0.5:5432".into()));

        assert_eq!(internal.message(), "internal error");
        assert!(!unavailable.message().contains("10.0.0.5"), "{}", unavailable.message());
    }
}
