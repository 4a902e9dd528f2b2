//! STS's `AssumeRoleWithWebIdentityResponse` XML.

use crate::assume::Issued;
use crate::xml::escape;

/// The success document of an `AssumeRoleWithWebIdentity` call.
pub fn response_xml(issued: &Issued, request_id: &str) -> String {
    let c = &issued.credentials;
    format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken>
    <Audience>{}</Audience>
    <AssumedRoleUser>
      <Arn>{}</Arn>
      <AssumedRoleId>{}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>{}</SessionToken>
      <SecretAccessKey>{}</SecretAccessKey>
      <Expiration>{}</Expiration>
      <AccessKeyId>{}</AccessKeyId>
    </Credentials>
    <Provider>{}</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>{}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
",
        escape(&issued.subject),
        escape(&issued.audience),
        escape(&issued.assumed_role_arn),
        escape(&issued.assumed_role_id),
        escape(&c.session_token),
        escape(&c.secret_access_key),
        c.expiration_text(),
        escape(&c.access_key_id),
        escape(&issued.provider),
        escape(request_id),
    )
}
