/**
 * The two third-party credentials the sync needs: Coupa's OAuth client (or CSO API key) and the
 * Coupa sFTP user for the Transfer Family connector. The operator fills both in after deploying.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import { csvChannelDeployed } from '../../lambdas/core/sync/route';

const NO_ROTATION =
  'Third-party credentials issued by Coupa (OAuth client, sFTP user); AWS cannot rotate them. ' +
  'The operator rotates them in Coupa and updates the secret.';

export class SyncSecrets extends Construct {
  readonly coupa: secretsmanager.Secret;
  /** Only with the CSV channel (csvChannelDeployed). */
  readonly sftp?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, config: SyncConfig) {
    super(scope, id);
    // Generated (not literal) values: CloudFormation never regenerates them on later deploys, so the
    // operator's real values survive stack updates. An empty clientId / Username marks "not filled in".
    this.coupa = new secretsmanager.Secret(this, 'CoupaClient', {
      secretName: config.coupa.secretName,
      description: 'Coupa OAuth client: {"clientId","clientSecret"} (CSO: {"apiKey"}). Fill in after deploy.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ clientId: '' }),
        generateStringKey: 'clientSecret',
      },
    });
    if (csvChannelDeployed(config)) {
      this.sftp = new secretsmanager.Secret(this, 'SftpUser', {
        secretName: config.csv.sftp.secretName,
        description: 'Coupa sFTP user for the Transfer Family connector: {"Username","PrivateKey"}. Fill in after deploy.',
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ Username: '' }),
          generateStringKey: 'PrivateKey',
        },
      });
    }
    for (const secret of [this.coupa, ...(this.sftp ? [this.sftp] : [])]) {
      Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: NO_ROTATION });
      // The operator's real credentials live here: a stack deletion or replacement must not lose them.
      secret.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
  }

  /**
   * A resource policy on the secret: only these roles may read its value, whatever other identity
   * policies in the account say (an administrator can still write it, to rotate it).
   */
  onlyReadBy(secret: secretsmanager.Secret, readers: iam.IRole[]): void {
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheSyncReadsIt',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'], // in a resource policy, "*" means this secret
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': readers.map((r) => r.roleArn) } },
      }),
    );
  }
}
