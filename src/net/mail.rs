//! The optional SMTP client (`[email]`): one message at a time to the configured relay,
//! with lettre over tokio and rustls (aws-lc-rs, Mozilla's roots: the same TLS stack as
//! the HTTP client). No I/O happens in a request: `app::mail` queues messages durably and
//! its worker calls [`Mailer::send`].
//!
//! Invariants: TLS is required (`starttls` or `implicit`) unless the operator allowed private
//! networks for tests; every exchange has a deadline (`email.timeout_ms`); the relay is the
//! only host ever contacted (recipients never choose where we connect).

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::EmailConfig;

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The relay refused it for good (a 5xx answer, an invalid address): retrying will not help.
    #[error("refused: {0}")]
    Permanent(String),
    /// Connection, TLS, timeout or a 4xx answer: worth retrying later.
    #[error("not sent: {0}")]
    Transient(String),
    /// The settings do not make a client (bad sender address, TLS setup).
    #[error("mail setup: {0}")]
    Setup(String),
}

/// An SMTP client for the configured relay. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// Builds the client of `settings`; `None` when e-mail is off. `hello_host` is the
    /// name we give in `EHLO` (our public host).
    pub fn new(settings: &EmailConfig, hello_host: &str) -> Result<Option<Mailer>, MailError> {
        if !settings.enabled() {
            return Ok(None);
        }
        let from: Mailbox = settings
            .from_address
            .parse()
            .map_err(|error| MailError::Setup(format!("email.from_address: {error}")))?;
        let tls = match settings.tls.as_str() {
            "none" => Tls::None,
            mode => {
                let parameters = TlsParameters::new(settings.smtp_host.clone())
                    .map_err(|error| MailError::Setup(error.to_string()))?;
                if mode == "implicit" {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                }
            }
        };
        // The EHLO name is a host, without the port of `server.host`.
        let hello = hello_host.split(':').next().unwrap_or(hello_host);
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.smtp_host.as_str())
                .port(settings.smtp_port)
                .tls(tls)
                .hello_name(ClientId::Domain(hello.to_string()))
                .timeout(Some(Duration::from_millis(settings.timeout_ms)));
        if !settings.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.smtp_username.clone(),
                settings.smtp_password.clone(),
            ));
        }
        Ok(Some(Mailer {
            transport: builder.build(),
            from,
        }))
    }

    /// Sends one plain-text message. The whole exchange is bounded by the transport's
    /// timeout per command and by `deadline` overall.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        deadline: Duration,
    ) -> Result<(), MailError> {
        let to: Mailbox = to
            .parse()
            .map_err(|error| MailError::Permanent(format!("recipient {to:?}: {error}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|error| MailError::Permanent(error.to_string()))?;
        match tokio::time::timeout(deadline, self.transport.send(message)).await {
            Err(_) => Err(MailError::Transient("timed out".into())),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) if error.is_permanent() => Err(MailError::Permanent(error.to_string())),
            Ok(Err(error)) => Err(MailError::Transient(error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tls: &str, from: &str) -> EmailConfig {
        EmailConfig {
            smtp_host: "127.0.0.1".into(),
            tls: tls.into(),
            from_address: from.into(),
            ..EmailConfig::default()
        }
    }

    #[test]
    fn a_client_is_built_only_when_mail_is_on_and_the_sender_parses() {
        assert!(
            Mailer::new(&EmailConfig::default(), "example.org")
                .unwrap()
                .is_none()
        );
        for tls in ["starttls", "implicit", "none"] {
            assert!(
                Mailer::new(&settings(tls, "Skerry <a@example.org>"), "example.org:8080")
                    .unwrap()
                    .is_some(),
                "{tls}"
            );
        }
        assert!(matches!(
            Mailer::new(&settings("starttls", "not an address@"), "example.org"),
            Err(MailError::Setup(_))
        ));
    }
}
