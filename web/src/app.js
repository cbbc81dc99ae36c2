// Signs in with USER_SRP_AUTH (amazon-cognito-identity-js's default flow), then places an order
// on the API with the ID token and reads it back through the Location header. Endpoints come from
// the page's query string: idp, pool, client, api.
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from 'amazon-cognito-identity-js';

const config = Object.fromEntries(new URLSearchParams(window.location.search));

function signIn(username, password) {
  const pool = new CognitoUserPool({
    UserPoolId: config.pool,
    ClientId: config.client,
    endpoint: config.idp,
  });
  const user = new CognitoUser({ Username: username, Pool: pool });
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return new Promise((resolve, reject) => {
    user.authenticateUser(details, {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error('NEW_PASSWORD_REQUIRED')),
    });
  });
}

async function placeOrder(idToken, sku, quantity) {
  const created = await fetch(new URL('orders', config.api), {
    method: 'POST',
    headers: {
      Authorization: idToken,
      'Content-Type': 'application/json',
      'Idempotency-Key': crypto.randomUUID(),
    },
    body: JSON.stringify({ items: [{ sku, quantity }] }),
  });
  const order = await created.json();
  const location = created.headers.get('Location');
  const read = location
    ? await fetch(new URL(location, config.api), { headers: { Authorization: idToken } })
    : null;
  return {
    status: created.status,
    location,
    order,
    readStatus: read ? read.status : null,
    readOrder: read ? await read.json() : null,
  };
}

async function run(event) {
  event.preventDefault();
  const status = document.getElementById('status');
  const output = document.getElementById('result');
  status.className = '';
  status.textContent = 'Signing in…';
  try {
    const email = document.getElementById('email').value;
    const session = await signIn(email, document.getElementById('password').value);
    status.textContent = 'Signed in; placing the order…';
    const result = await placeOrder(
      session.getIdToken().getJwtToken(),
      document.getElementById('sku').value,
      Number(document.getElementById('quantity').value),
    );
    result.username = session.getIdToken().decodePayload()['cognito:username'];
    result.sub = session.getIdToken().decodePayload().sub;
    output.textContent = JSON.stringify(result, null, 2);
    status.className = result.status === 201 ? 'ok' : 'failed';
    status.textContent = `Order request answered ${result.status}`;
  } catch (error) {
    output.textContent = JSON.stringify({ error: error.code || error.name, message: error.message });
    status.className = 'failed';
    status.textContent = `Failed: ${error.code || error.name}`;
  }
}

document.getElementById('order-form').addEventListener('submit', run);
